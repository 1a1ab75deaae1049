// The parts of parquetjs-lite (which ships no types) the ParquetjsParquetWriter uses.
declare module 'parquetjs-lite' {
  interface FieldSpec {
    type: string;
    optional?: boolean;
    compression?: 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP';
  }
  class ParquetSchema {
    constructor(fields: Record<string, FieldSpec>);
  }
  class ParquetWriter {
    static openFile(
      schema: ParquetSchema,
      path: string,
      options?: Record<string, unknown>,
    ): Promise<ParquetWriter>;
    appendRow(row: Record<string, unknown>): Promise<void>;
    close(): Promise<void>;
  }
  const parquet: { ParquetSchema: typeof ParquetSchema; ParquetWriter: typeof ParquetWriter };
  export default parquet;
}
