// archiver 8 ships no types, and @types/archiver describes the older default-export API.
// Only what the ZIP writer uses is declared here.
declare module 'archiver' {
  import type { Readable, TransformOptions } from 'node:stream';

  export interface ZipEntryData {
    name: string;
    date?: Date;
    mode?: number;
    /** Stored without compression. */
    store?: boolean;
  }

  export interface ZipOptions extends TransformOptions {
    zlib?: { level?: number };
    /** Forces ZIP64 headers; archiver switches to ZIP64 by itself past 4 GiB. */
    forceZip64?: boolean;
  }

  /** A readable-stream Transform (not node's own Readable class: `instanceof Readable` is false). */
  export class ZipArchive {
    constructor(options?: ZipOptions);
    append(source: Buffer | string | Readable, data: ZipEntryData): this;
    finalize(): Promise<void>;
    abort(): this;
    pointer(): number;
    pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T;
    destroy(error?: Error): this;
    on(event: 'entry', listener: (entry: ZipEntryData) => void): this;
    on(event: 'warning' | 'error', listener: (error: Error) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    once(event: string, listener: (...args: unknown[]) => void): this;
    off(event: string, listener: (...args: unknown[]) => void): this;
  }
}
