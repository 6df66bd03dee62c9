/**
 * A byte queue for stream framing (HTTP over TLS, SMPP over TCP): octets are
 * appended as they arrive and taken from the front once a whole message is
 * there. Appending costs amortised O(1) per octet whatever the segment sizes
 * (the capacity doubles; the live part is moved to the front only when it
 * fills at most half of the capacity), so a peer sending one octet per
 * segment cannot make framing quadratic, as `concat(buffer, segment)` on
 * every segment would.
 */
export class ByteQueue {
  private buf: Uint8Array;
  private head = 0;
  private tail = 0;

  constructor(capacity = 4096) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }

  /** Octets queued. */
  get length(): number {
    return this.tail - this.head;
  }

  push(d: Uint8Array): void {
    if (!d.length) return;
    if (this.tail + d.length > this.buf.length) {
      const live = this.length;
      const need = live + d.length;
      if (need <= this.buf.length >> 1) {
        // Enough room once the consumed front is reclaimed, and at least half stays free.
        this.buf.copyWithin(0, this.head, this.tail);
      } else {
        let cap = this.buf.length;
        while (cap < need * 2) cap *= 2;
        const next = new Uint8Array(cap);
        next.set(this.buf.subarray(this.head, this.tail));
        this.buf = next;
      }
      this.head = 0;
      this.tail = live;
    }
    this.buf.set(d, this.tail);
    this.tail += d.length;
  }

  /** The queued octets (a view: valid until the next push or consume). */
  view(): Uint8Array {
    return this.buf.subarray(this.head, this.tail);
  }

  /** Drop `n` octets from the front. */
  consume(n: number): void {
    this.head = Math.min(this.tail, this.head + n);
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  /** A copy of the first `n` octets, removed from the queue. */
  take(n: number): Uint8Array {
    const out = this.buf.slice(this.head, this.head + Math.min(n, this.length));
    this.consume(n);
    return out;
  }

  clear(): void {
    this.head = this.tail = 0;
  }
}
