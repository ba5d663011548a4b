/** Types of tools.mjs: the paths of the programs the tests drive (promtool, prometheus, chromium). */
export type ToolName = 'promtool' | 'prometheus' | 'chromium';

export const TOOLS: Record<ToolName, { env: string; paths: string[]; debian: string; usedBy: string }>;

/** The path of a tool, or undefined when it is not there. */
export function findTool(name: ToolName): string | undefined;

/** What is missing, where it was looked for, and how to get it. */
export function missingToolMessage(name: ToolName): string;

/** The path of a tool; throws an error that says how to get it when it is not there. */
export function requireTool(name: ToolName): string;

/** Each tool's path, or undefined when it is missing. */
export const tools: Record<ToolName, string | undefined>;
