// graphql-http's server audits (the GraphQL over HTTP spec) against a running Qonys.
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2] ?? 'http://127.0.0.1:8000/graphql';
const results = await auditServer({ url });
let errors = 0, warnings = 0;
for (const r of results) {
  if (r.status === 'ok') continue;
  const detail = typeof r.reason === 'string' ? r.reason : JSON.stringify(r.reason);
  console.log(`${r.status.toUpperCase()} ${r.id} ${r.name}: ${detail}`);
  if (r.status === 'error') errors++;
  if (r.status === 'warn') warnings++;
}
const ok = results.filter((r) => r.status === 'ok').length;
console.log(`${ok} ok, ${warnings} warnings, ${errors} errors of ${results.length} audits`);
process.exit(errors ? 1 : 0);
