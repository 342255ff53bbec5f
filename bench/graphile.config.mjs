// PostGraphile 5 for the benchmark only (bench/run starts it; never a Qonys dependency).
// The schema is generated from the tables of the bench database with the amber preset.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const connectionString = process.env.BENCH_PG_URL;
if (!connectionString) throw new Error("BENCH_PG_URL is not set");

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      // Same pool size as Qonys's default (pool_size 10) and the raw endpoint.
      poolConfig: { max: Number(process.env.BENCH_PG_POOL ?? 10) },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.BENCH_POSTGRAPHILE_PORT ?? 8102),
    graphiql: false,
    watch: false,
  },
  grafast: { explain: false },
};

export default preset;
