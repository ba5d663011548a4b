import { afterEach, describe, expect, it } from 'vitest';
import { GpuProbe, NVIDIA_SMI_QUERY, parseNvidiaSmiLine } from '../../src/resources/gpu.js';
import type { GpuSample } from '../../src/resources/sample.js';
import { alive, GPU_NAME, installFakeNvidiaSmi, MIB, uuidOf, waitFor, withoutNvidiaSmi, type FakeNvidiaSmi } from './support.js';

describe('parseNvidiaSmiLine', () => {
  it('reads a line as nvidia-smi prints it, in the units the sample uses', () => {
    expect(parseNvidiaSmiLine('3, GPU-a1b2c3d4-0000-1111-2222-333344445555, NVIDIA A100-SXM4-40GB, 97, 41, 30411, 40960, 66, 301.72')).toEqual({
      index: 3,
      uuid: 'GPU-a1b2c3d4-0000-1111-2222-333344445555',
      name: 'NVIDIA A100-SXM4-40GB',
      utilization: 0.97,
      memoryControllerUtilization: 0.41,
      memoryUsedBytes: 30411 * MIB,
      memoryTotalBytes: 40960 * MIB,
      temperatureCelsius: 66,
      powerWatts: 301.72,
    });
  });

  it('leaves [N/A], [Not Supported] and other non-numbers absent, never zero', () => {
    const reading = parseNvidiaSmiLine('0, MIG-4f9a3a3e-1111-2222-3333-444444444444, NVIDIA H100 80GB HBM3, [N/A], [Not Supported], 10, [Unknown Error], 31, ');
    expect(reading).toMatchObject({ index: 0, uuid: 'MIG-4f9a3a3e-1111-2222-3333-444444444444', memoryUsedBytes: 10 * MIB, temperatureCelsius: 31 });
    expect(reading!.utilization).toBeUndefined();
    expect(reading!.memoryControllerUtilization).toBeUndefined();
    expect(reading!.memoryTotalBytes).toBeUndefined();
    expect(reading!.powerWatts).toBeUndefined();
  });

  it('puts back a product name that has a comma in it', () => {
    expect(parseNvidiaSmiLine('1, GPU-x1, Tesla V100, PCIe, 5, 1, 100, 16384, 40, 30.5')).toMatchObject({ index: 1, name: 'Tesla V100, PCIe', utilization: 0.05, powerWatts: 30.5 });
  });

  it('rejects lines that are not GPU readings', () => {
    for (const line of [
      'WARNING: infoROM is corrupted at gpu 0000:01:00.0',
      '0, GPU-trunc',
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
      'x, y, z, 1, 2, 3, 4, 5, 6',
      '0, GPU 0 with spaces, name, 1, 2, 3, 4, 5, 6',
      '0, GPU-1, \u0000\u0001, 1, 2, 3, 4, 5, 6',
      '99999, GPU-1, name, 1, 2, 3, 4, 5, 6',
      '64, GPU-1, name, 1, 2, 3, 4, 5, 6',
      '',
    ]) {
      expect(parseNvidiaSmiLine(line), line).toBeUndefined();
    }
  });

  it('does not read an out-of-range percentage as a utilisation', () => {
    expect(parseNvidiaSmiLine('0, GPU-1, n, 250, -3, 1, 2, 3, 4')).toMatchObject({ utilization: undefined, memoryControllerUtilization: undefined });
  });
});

describe('GpuProbe with a fake nvidia-smi on PATH', () => {
  let fake: FakeNvidiaSmi | undefined;
  let probe: GpuProbe | undefined;
  let faults: Error[] = [];
  const start = (options: Partial<ConstructorParameters<typeof GpuProbe>[0]> = {}) => {
    faults = [];
    probe = new GpuProbe({ intervalMs: 100, fault: (e) => faults.push(e as Error), ...options });
    return probe;
  };
  const gpusOf = (p: GpuProbe, n: number) => waitFor(`${n} GPUs`, () => (p.read().length === n ? p.read() : undefined));

  afterEach(() => {
    probe?.stop();
    probe = undefined;
    fake?.restore();
    fake = undefined;
  });

  it('reads two GPUs from one long-lived nvidia-smi started with the fields it parses and -lms <interval>', async () => {
    fake = installFakeNvidiaSmi();
    const p = start();
    const gpus = await gpusOf(p, 2);
    expect(gpus[0]).toMatchObject({
      index: 0,
      uuid: uuidOf(0),
      name: GPU_NAME,
      utilization: 0.37,
      memoryControllerUtilization: 0.12,
      memoryUsedBytes: 4096 * MIB,
      memoryTotalBytes: 81559 * MIB,
      memoryUtilization: 4096 / 81559,
      temperatureCelsius: 45,
      powerWatts: 123.45,
    });
    expect(gpus[1]).toMatchObject({ index: 1, uuid: uuidOf(1), utilization: 0.81, memoryUsedBytes: 8192 * MIB, temperatureCelsius: 52, powerWatts: 223.45 });
    expect(gpus[0].ageMs).toBeGreaterThanOrEqual(0);
    // Several intervals later it is still the same one child: never a spawn per sample.
    const runsSoFar = fake.runs();
    await new Promise((r) => setTimeout(r, 450));
    expect(p.read()).toHaveLength(2);
    expect(fake.runs()).toEqual(runsSoFar);
    expect(p.spawns).toBe(1);
    expect(fake.runs()).toEqual([
      { pid: expect.any(Number), run: 1, args: [`--query-gpu=${NVIDIA_SMI_QUERY}`, '--format=csv,noheader,nounits', '-lms', '100'] },
    ]);
    expect(faults).toEqual([]);
  });

  it('marks [N/A] fields absent on the GPU that reports them and keeps the others', async () => {
    fake = installFakeNvidiaSmi({ mode: 'na' });
    const gpus = await gpusOf(start(), 2);
    expect(gpus[0]).toMatchObject({ temperatureCelsius: 45, powerWatts: 123.45, memoryControllerUtilization: 0.12 });
    const second: GpuSample = gpus[1];
    expect(second).toMatchObject({ index: 1, utilization: 0.81, memoryUsedBytes: 8192 * MIB });
    expect('temperatureCelsius' in second).toBe(false);
    expect('powerWatts' in second).toBe(false);
    expect('memoryControllerUtilization' in second).toBe(false);
    expect(faults).toEqual([]);
  });

  it('skips garbage lines, keeps the readings between them, and reports garbage once per run', async () => {
    fake = installFakeNvidiaSmi({ mode: 'garbage' });
    const p = start();
    const gpus = await gpusOf(p, 2);
    expect(gpus.map((g) => [g.index, g.utilization])).toEqual([
      [0, 0.37],
      [1, 0.81],
    ]);
    await new Promise((r) => setTimeout(r, 350)); // several more rounds of garbage
    expect(p.read()).toHaveLength(2);
    expect(faults).toHaveLength(1);
    // The first unparsable line after the first reading: the truncated one.
    expect(faults[0].message).toBe('nvidia-smi printed a line that is not a GPU reading: "0, GPU-trunc"');
    expect(p.spawns).toBe(1);
  });

  it('marks the GPUs absent when nvidia-smi crashes, reports it, and restarts it after a backoff', async () => {
    fake = installFakeNvidiaSmi({ mode: 'crash', crashAfter: 3 });
    const p = start({ initialBackoffMs: 300 });
    await gpusOf(p, 2);
    const firstPid = fake.runs()[0].pid;
    // The crash: the fault says how nvidia-smi ended and what it said.
    await waitFor('the crash to be reported', () => (faults.length > 0 ? true : undefined));
    expect(faults[0].message).toMatch(/nvidia-smi exited with code 1: Unable to determine the device handle/);
    expect(p.read()).toEqual([]);
    expect(alive(firstPid)).toBe(false);
    // The restart, after the backoff, with the same arguments; readings come back.
    const gpus = await gpusOf(p, 2);
    expect(gpus[1].powerWatts).toBe(223.45);
    const runs = fake.runs();
    expect(runs).toHaveLength(2);
    expect(runs[1].args).toEqual(runs[0].args);
    expect(p.spawns).toBe(2);
    expect(faults).toHaveLength(1);
  });

  it('kills an nvidia-smi that keeps running but stops printing, reports it once, marks the GPUs absent and restarts it', async () => {
    fake = installFakeNvidiaSmi({ mode: 'hang', hangAfter: 3 });
    const p = start({ silenceMs: 400, initialBackoffMs: 200 });
    await gpusOf(p, 2);
    const firstPid = fake.runs()[0].pid;
    await waitFor('the silence to be reported', () => (faults.length > 0 ? true : undefined));
    expect(faults[0].message).toMatch(/^nvidia-smi printed no reading for 400 ms while still running: killed it$/);
    // Absent at once, as after a crash (the readings alone would age out only after 3 intervals + 1 s).
    expect(p.read()).toEqual([]);
    await waitFor('the silent nvidia-smi to be gone', () => (alive(firstPid) ? undefined : true));
    // A new one, with the same arguments, after the backoff; its readings come through.
    const gpus = await gpusOf(p, 2);
    expect(gpus[0].utilization).toBe(0.37);
    const runs = fake.runs();
    expect(runs).toHaveLength(2);
    expect(runs[1].args).toEqual(runs[0].args);
    expect(alive(runs[1].pid)).toBe(true);
    expect(p.spawns).toBe(2);
    // Reported once: the kill is not reported again as an exit, and the healthy run adds nothing.
    await new Promise((r) => setTimeout(r, 500));
    expect(faults).toHaveLength(1);
    expect(p.read()).toHaveLength(2);
  });

  it('reports each hang once and restarts after each', async () => {
    fake = installFakeNvidiaSmi({ mode: 'hang', hangAfter: 2, hangRuns: 2 });
    const p = start({ silenceMs: 300, initialBackoffMs: 50 });
    await waitFor('a third run that prints', () => (fake!.runs().length === 3 && p.read().length === 2 ? true : undefined), 8000);
    expect(faults.map((f) => f.message)).toEqual([
      'nvidia-smi printed no reading for 300 ms while still running: killed it',
      'nvidia-smi printed no reading for 300 ms while still running: killed it',
    ]);
    const runs = fake.runs();
    await waitFor('both silent ones to be gone', () => (alive(runs[0].pid) || alive(runs[1].pid) ? undefined : true));
    expect(p.off).toBeUndefined();
  });

  it('kills an nvidia-smi that never prints a first reading, and gives up after three such runs', async () => {
    fake = installFakeNvidiaSmi({ mode: 'silent' });
    const p = start({ startupSilenceMs: 1000, initialBackoffMs: 20 });
    await waitFor('the probe to give up', () => p.off, 8000);
    expect(p.off).toBe('failing');
    expect(faults.map((f) => f.message)).toEqual(Array(3).fill('nvidia-smi printed no reading for 1000 ms while still running: killed it'));
    const runs = fake.runs();
    expect(runs).toHaveLength(3);
    await waitFor('every silent one to be gone', () => (runs.some((r) => alive(r.pid)) ? undefined : true));
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.runs()).toHaveLength(3);
  });

  it('waits at least 5 s (3 intervals when longer) for a reading, 30 s for the first one', () => {
    const quick = new GpuProbe({ intervalMs: 250, fault: () => {} });
    const slow = new GpuProbe({ intervalMs: 20_000, fault: () => {} });
    try {
      expect([quick.silenceMs, quick.startupSilenceMs]).toEqual([5000, 30_000]);
      expect([slow.silenceMs, slow.startupSilenceMs]).toEqual([60_000, 60_000]);
    } finally {
      quick.stop();
      slow.stop();
    }
  });

  it('gives up after three runs that printed nothing but an error (binary present, driver missing)', async () => {
    fake = installFakeNvidiaSmi({ mode: 'fail' });
    const p = start({ initialBackoffMs: 20 });
    await waitFor('the probe to give up', () => p.off);
    expect(p.off).toBe('failing');
    expect(faults).toHaveLength(3);
    // One fault per run, carrying what nvidia-smi said.
    expect(faults[0].message).toMatch(/^nvidia-smi exited with code 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver/);
    expect(fake.runs()).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.runs()).toHaveLength(3);
    expect(p.read()).toEqual([]);
  });

  it('treats a missing nvidia-smi as "no GPU": no fault, no retry', async () => {
    const path = withoutNvidiaSmi();
    try {
      const p = start({ initialBackoffMs: 10 });
      await waitFor('the probe to notice', () => p.off);
      expect(p.off).toBe('missing');
      await new Promise((r) => setTimeout(r, 100));
      expect(p.spawns).toBe(1);
      expect(p.read()).toEqual([]);
      expect(faults).toEqual([]);
    } finally {
      path.restore();
    }
  });

  it('drops a GPU whose readings stopped coming', async () => {
    fake = installFakeNvidiaSmi({ mode: 'silent' });
    const p = start();
    await waitFor('the fake to start', () => (fake!.runs().length === 1 ? true : undefined));
    // Feed one reading by hand, as if nvidia-smi had printed it and then hung.
    (p as any).onData(`0, ${uuidOf(0)}, ${GPU_NAME}, 50, 1, 2, 3, 4, 5\n`);
    expect(p.read()).toHaveLength(1);
    // Stale after three intervals plus a second.
    await waitFor('the reading to age out', () => (p.read().length === 0 ? true : undefined), 3000);
    expect(faults).toEqual([]);
  });

  it('kills nvidia-smi on stop() and does not restart it', async () => {
    fake = installFakeNvidiaSmi();
    const p = start({ initialBackoffMs: 10 });
    await gpusOf(p, 2);
    const pid = fake.runs()[0].pid;
    expect(alive(pid)).toBe(true);
    p.stop();
    await waitFor('nvidia-smi to exit', () => (alive(pid) ? undefined : true));
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.runs()).toHaveLength(1);
    expect(p.read()).toEqual([]);
    expect(faults).toEqual([]);
  });
});
