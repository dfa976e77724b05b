/**
 * Phase timestamps on stderr when ROSTER_TRACE is set (`T <ms since start> <phase>`): where a slow sync spends its
 * time, without a profiler. Off by default; costs a property read per phase.
 */
export function trace(phase: string): void {
  if (process.env.ROSTER_TRACE) {
    const cpu = process.cpuUsage();
    process.stderr.write(`T ${performance.now().toFixed(0)} user ${(cpu.user / 1000).toFixed(0)} sys ${(cpu.system / 1000).toFixed(0)} ${phase}\n`);
  }
}
