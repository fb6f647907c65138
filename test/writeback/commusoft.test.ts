/** The writeback contract (writeback-contract.ts) against the fake Commusoft (its notes path is a configured guess). */
import { describeWritebackContract } from './writeback-contract';

describeWritebackContract('commusoft');
