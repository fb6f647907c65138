/** The writeback contract (writeback-contract.ts) against the fake ServiceM8. */
import { describeWritebackContract } from './writeback-contract';

describeWritebackContract('servicem8');
