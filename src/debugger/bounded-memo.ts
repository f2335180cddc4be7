/**
 * Results of a pure look-up, kept by key up to a bound (then forgotten all at once and made again
 * as asked): for answers that never change, asked again and again (what DWARF says about a pc).
 */
export class BoundedMemo<K, V> {
  private readonly kept = new Map<K, V>();

  constructor(private readonly limit = 4096) {}

  get(key: K, make: (key: K) => V): V {
    if (this.kept.has(key)) return this.kept.get(key) as V;
    const value = make(key);
    if (this.kept.size >= this.limit) this.kept.clear();
    this.kept.set(key, value);
    return value;
  }
}
