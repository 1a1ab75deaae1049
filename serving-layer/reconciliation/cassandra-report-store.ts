import type { Client } from 'cassandra-driver';
import { translateCassandraError } from '../../shared/cassandra/errors.ts';
import type { ReconciliationReport, ReconciliationReportStore } from './types.ts';

const TABLE = 'reconciliation_reports';

/**
 * Reconciliation reports in Cassandra (table from migration `030_reconciliation.cql`). The client
 * is shared and owned by the caller; the keyspace is named explicitly so a test keyspace works.
 */
export class CassandraReconciliationReportStore implements ReconciliationReportStore {
  readonly #client: Client;
  readonly #table: string;

  constructor(client: Client, keyspace: string) {
    this.#client = client;
    this.#table = `${keyspace}.${TABLE}`;
  }

  async save(report: ReconciliationReport): Promise<void> {
    await this.#run(
      `INSERT INTO ${this.#table} (scope, id, status, cells_mismatching, unexplained, report, generated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        report.scope,
        report.id,
        report.status,
        report.cellsMismatching,
        report.causes.unexplained,
        JSON.stringify(report),
        new Date(report.generatedAt),
      ],
      'saving a reconciliation report',
    );
  }

  async get(id: string): Promise<ReconciliationReport | undefined> {
    const scope = id.length === 10 ? 'day' : 'hour';
    const rs = await this.#run(
      `SELECT report FROM ${this.#table} WHERE scope = ? AND id = ?`,
      [scope, id],
      'reading a reconciliation report',
    );
    const row = rs.first();
    return row === null ? undefined : (JSON.parse(row.get('report') as string) as ReconciliationReport);
  }

  async recentDays(limit: number): Promise<ReconciliationReport[]> {
    const rs = await this.#run(
      `SELECT report FROM ${this.#table} WHERE scope = 'day' LIMIT ?`,
      [Math.max(1, Math.floor(limit))],
      'listing reconciliation reports',
    );
    return rs.rows.map((row) => JSON.parse(row.get('report') as string) as ReconciliationReport);
  }

  async #run(query: string, params: unknown[], doing: string) {
    try {
      return await this.#client.execute(query, params, { prepare: true });
    } catch (error) {
      throw translateCassandraError(error, { operation: doing });
    }
  }
}
