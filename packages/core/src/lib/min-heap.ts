/** An item that knows its own slot so it can be removed or re-keyed in O(log n). */
export interface HeapNode {
  /** Position in the heap, or -1 when the item is not in a heap. Owned by {@link MinHeap}. */
  heapIndex: number;
}

/**
 * A binary min-heap over an array. Items carry their own index so that removing or
 * re-keying an arbitrary item (untrack, clearTimeout) costs O(log n) instead of a scan.
 */
export class MinHeap<T extends HeapNode> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;

  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Removes `item`; returns false when it was not in this heap. */
  remove(item: T): boolean {
    const i = item.heapIndex;
    if (i < 0 || this.#items[i] !== item) return false;
    const last = this.#items.pop()!;
    item.heapIndex = -1;
    if (last !== item) {
      this.#items[i] = last;
      last.heapIndex = i;
      this.update(last);
    }
    return true;
  }

  /** Restores heap order after `item`'s key changed. */
  update(item: T): void {
    const i = item.heapIndex;
    if (i < 0 || this.#items[i] !== item) return;
    if (i > 0 && this.#less(item, this.#items[(i - 1) >> 1]!)) this.#up(i);
    else this.#down(i);
  }

  clear(): void {
    for (const item of this.#items) item.heapIndex = -1;
    this.#items.length = 0;
  }

  #up(i: number): void {
    const items = this.#items;
    const item = items[i]!;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = items[parentIndex]!;
      if (!this.#less(item, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.#less(items[right]!, items[left]!)) child = right;
      const smaller = items[child]!;
      if (!this.#less(smaller, item)) break;
      items[i] = smaller;
      smaller.heapIndex = i;
      i = child;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
