export { DynamoDbRepository, type DynamoDbRepositoryOptions } from "./repository.ts";
export { ensureTable, tableDefinition } from "./table.ts";
export { startDynamoDbLocal, findFreePort, DynamoDbLocalError, type DynamoDbLocal } from "./local.ts";
export { createDocumentClient } from "./client.ts";
export { checkTable, type Finding } from "./check.ts";
export { DEFAULT_TRANSACTION_LEASE_MS } from "./repository.ts";
export { DEFAULT_SEARCH_LIMITS, type SearchLimits } from "./search.ts";
export { observeDynamoDbClient, loadXRay, type ConsumedCapacityEvent, type DynamoDbObservation } from "./tracing.ts";
