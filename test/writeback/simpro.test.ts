/** The writeback contract (writeback-contract.ts) against the fake Simpro. */
import { describeWritebackContract } from './writeback-contract';

describeWritebackContract('simpro');
