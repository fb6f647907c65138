/** The writeback contract (writeback-contract.ts) against the fake Jobber. */
import { describeWritebackContract } from './writeback-contract';

describeWritebackContract('jobber');
