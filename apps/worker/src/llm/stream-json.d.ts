// stream-json 1.x ships no types (@types/stream-json would be one more package for one class).
// Only the tokenizer the live-output extractor uses is declared here.
declare module 'stream-json/Parser' {
  import { Transform, type TransformOptions } from 'node:stream';

  /** One token of the JSON text; `value` is set on chunks and packed values. */
  export interface JsonToken {
    name: string;
    value?: string;
  }

  export interface ParserOptions extends TransformOptions {
    packKeys?: boolean;
    packStrings?: boolean;
    packNumbers?: boolean;
    streamKeys?: boolean;
    streamStrings?: boolean;
    streamNumbers?: boolean;
    jsonStreaming?: boolean;
  }

  class Parser extends Transform {
    constructor(options?: ParserOptions);
  }
  export default Parser;
}
