export { openPglite, openPostgres, type SqlClient } from "./client.ts";
export { migrate } from "./schema.ts";
export { createPostgresRepository, DEFAULT_SCHEMA, PostgresRepository, type PostgresRepositoryOptions } from "./repository.ts";
export { DEFAULT_SEARCH_LIMITS, type SearchLimits } from "./search/search.ts";
export { checkDatabase, type Finding } from "./check.ts";
