// Where the CLI writes and whether it colours. Colours only on a TTY, never with --no-color or
// NO_COLOR (https://no-color.org); every command gets one Output so tests can capture it.
import { Chalk, type ChalkInstance } from "chalk";

export interface Output {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** stderr without the newline (progress lines that redraw themselves). */
  readonly errRaw: (text: string) => void;
  readonly color: ChalkInstance;
  /** True when stderr is an interactive terminal (progress displays, prompts). */
  readonly interactive: boolean;
  readonly debug: boolean;
}

/** The part of a stream the CLI writes to (a process stream, or a buffer in tests). */
export interface TextSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface OutputOptions {
  readonly noColor: boolean;
  readonly debug: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: TextSink;
  readonly stderr?: TextSink;
}

export function useColor(noColorFlag: boolean, env: NodeJS.ProcessEnv, stream: { isTTY?: boolean }): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

export function processOutput(opts: OutputOptions): Output {
  const env = opts.env ?? process.env;
  const stdout: TextSink = opts.stdout ?? process.stdout;
  const stderr: TextSink = opts.stderr ?? process.stderr;
  return {
    out: (text) => stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => stderr.write(text.endsWith("\n") ? text : `${text}\n`),
    errRaw: (text) => stderr.write(text),
    color: new Chalk({ level: useColor(opts.noColor, env, stdout) ? 1 : 0 }),
    interactive: stderr.isTTY === true,
    debug: opts.debug,
  };
}

/**
 * For a command whose stdout carries one machine-readable document (`--json`): the same output
 * with what it would print on stdout sent to stderr, so the document stands alone.
 */
export function documentOutput(o: Output): Output {
  return { ...o, out: o.err };
}
