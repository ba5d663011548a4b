/**
 * What nvidia-smi is asked and how its answer is read: the query's field list, and the parser of one
 * `--format=csv,noheader,nounits` line into a GPU reading (gpu.ts runs the process). The field list
 * and units: `nvidia-smi --help-query-gpu`.
 */

/** The fields asked of nvidia-smi, in the order parseNvidiaSmiLine reads them. */
export const NVIDIA_SMI_QUERY =
  'index,uuid,name,utilization.gpu,utilization.memory,memory.used,memory.total,temperature.gpu,power.draw';

/** Readings kept at most; an index past this is treated as garbage (bounds memory and label cardinality). */
export const MAX_GPUS = 64;
const MIB = 1024 * 1024;

/** One parsed line; absent figures are undefined. */
export interface GpuReading {
  index: number;
  uuid: string;
  name: string;
  utilization: number | undefined;
  memoryControllerUtilization: number | undefined;
  memoryUsedBytes: number | undefined;
  memoryTotalBytes: number | undefined;
  temperatureCelsius: number | undefined;
  powerWatts: number | undefined;
}

const NUMBER = /^-?\d+(?:\.\d+)?$/;

function numberOrAbsent(field: string): number | undefined {
  return NUMBER.test(field) ? Number(field) : undefined;
}

/**
 * Parse one `--format=csv,noheader,nounits` line of NVIDIA_SMI_QUERY. Returns undefined for anything
 * that is not a GPU reading. A product name with a comma in it is put back together.
 */
export function parseNvidiaSmiLine(line: string): GpuReading | undefined {
  const parts = line.split(',');
  if (parts.length < 9) return undefined;
  for (let i = 0; i < parts.length; i++) parts[i] = parts[i].trim();
  const indexText = parts[0];
  if (!/^\d{1,3}$/.test(indexText)) return undefined;
  const index = Number(indexText);
  const uuid = parts[1];
  if (index >= MAX_GPUS || uuid === '' || !/^[\w-]+$/.test(uuid)) return undefined;
  const numbers = parts.slice(parts.length - 6);
  const name = parts.slice(2, parts.length - 6).join(', ');
  if (name === '' || hasControlCharacter(name)) return undefined;
  const percent = (field: string) => {
    const n = numberOrAbsent(field);
    return n === undefined || n < 0 || n > 100 ? undefined : n / 100;
  };
  const mib = (field: string) => {
    const n = numberOrAbsent(field);
    return n === undefined || n < 0 ? undefined : n * MIB;
  };
  const watts = numberOrAbsent(numbers[5]);
  return {
    index,
    uuid,
    name,
    utilization: percent(numbers[0]),
    memoryControllerUtilization: percent(numbers[1]),
    memoryUsedBytes: mib(numbers[2]),
    memoryTotalBytes: mib(numbers[3]),
    temperatureCelsius: numberOrAbsent(numbers[4]),
    powerWatts: watts === undefined || watts < 0 ? undefined : watts,
  };
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0xfffd) return true;
  }
  return false;
}
