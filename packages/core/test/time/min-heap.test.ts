import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../src/lib/min-heap.js';

interface Item {
  key: number;
  heapIndex: number;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('MinHeap (the one-timer schedule of the tracker and FakeClock)', () => {
  it('pops in key order under random pushes, removals and re-keys', () => {
    const random = lcg(7);
    const heap = new MinHeap<Item>((a, b) => a.key < b.key);
    const live = new Set<Item>();
    for (let i = 0; i < 2000; i++) {
      const op = random();
      if (op < 0.5 || live.size === 0) {
        const item = { key: Math.floor(random() * 1000), heapIndex: -1 };
        heap.push(item);
        live.add(item);
      } else {
        const victim = [...live][Math.floor(random() * live.size)]!;
        if (op < 0.75) {
          expect(heap.remove(victim)).toBe(true);
          expect(heap.remove(victim)).toBe(false);
          live.delete(victim);
        } else {
          victim.key = Math.floor(random() * 1000);
          heap.update(victim);
        }
      }
    }
    expect(heap.size).toBe(live.size);
    const popped: number[] = [];
    for (let item = heap.pop(); item !== undefined; item = heap.pop()) popped.push(item.key);
    expect(popped).toEqual([...live].map((x) => x.key).sort((a, b) => a - b));
  });

  it('clear() detaches every item', () => {
    const heap = new MinHeap<Item>((a, b) => a.key < b.key);
    const a = { key: 1, heapIndex: -1 };
    heap.push(a);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(a.heapIndex).toBe(-1);
    expect(heap.peek()).toBeUndefined();
  });
});
