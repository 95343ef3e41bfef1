import { statfs } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';

/** The `metrics` object of a heartbeat, percentages 0–100. */
export interface HeartbeatMetrics {
  cpu_usage: number;
  memory_usage: number;
  disk_usage: number;
}

let lastCpu: { idle: number; total: number } | undefined;

function cpuTotals(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
  }
  return { idle, total };
}

const round = (n: number): number => Math.round(Math.min(100, Math.max(0, n)) * 10) / 10;

/**
 * CPU (busy share since the previous call, or since boot on the first), memory and disk
 * (of `diskPath`) usage in percent, read from the OS. Never throws: an unreadable value is 0.
 */
export async function readSystemMetrics(diskPath: string): Promise<HeartbeatMetrics> {
  const now = cpuTotals();
  const prev = lastCpu;
  lastCpu = now;
  const dTotal = prev === undefined ? now.total : now.total - prev.total;
  const dIdle = prev === undefined ? now.idle : now.idle - prev.idle;
  const cpu = dTotal > 0 ? (100 * (dTotal - dIdle)) / dTotal : 0;
  const memory = totalmem() > 0 ? (100 * (totalmem() - freemem())) / totalmem() : 0;
  let disk = 0;
  try {
    const s = await statfs(diskPath);
    disk = s.blocks > 0 ? (100 * (s.blocks - s.bfree)) / s.blocks : 0;
  } catch {
    disk = 0;
  }
  return { cpu_usage: round(cpu), memory_usage: round(memory), disk_usage: round(disk) };
}
