/**
 * The in-memory records of a fake FSM, stamped by a clock that only moves
 * when told to: whole seconds, as FSM timestamps are, and never equal twice,
 * so tests can take a time between two changes without sleeping.
 */
export class FakeRecords<T extends { updatedAt: string }> {
  readonly byId = new Map<string, T>();
  private clock = Date.parse('2026-01-01T00:00:00Z');
  private nextNumber = 1;

  constructor(
    private readonly fsm: string,
    private readonly idOf: (record: T) => string,
  ) {}

  /** Adds n records, each made from a running number and its creation time; returns their ids. */
  seed(n: number, make: (number: number, at: string) => T): string[] {
    return Array.from({ length: n }, () => {
      const record = make(this.nextNumber++, this.tick());
      this.byId.set(this.idOf(record), record);
      return this.idOf(record);
    });
  }

  /** The next timestamp (RFC 3339, whole seconds). */
  tick(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString().replace('.000Z', 'Z');
  }

  reset(): void {
    this.byId.clear();
  }

  get(id: string): T {
    const record = this.byId.get(id);
    if (!record) throw new Error(`fake ${this.fsm}: no record ${id}`);
    return record;
  }

  /** Applies a change as the FSM would: the record's updatedAt moves to now. */
  change(id: string, patch: Partial<T>): T {
    return Object.assign(this.get(id), patch, { updatedAt: this.tick() });
  }
}
