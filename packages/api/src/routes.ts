import type { Route } from "./context.ts";
import { capabilities } from "./interactions/capabilities.ts";
import { create } from "./interactions/create.ts";
import { HISTORY_PARAMETERS, historyInstance, historySystem, historyType } from "./interactions/history.ts";
import { read, remove, update, vread } from "./interactions/instance.ts";
import { conditionalDelete, conditionalUpdate } from "./interactions/conditional-type.ts";
import { searchSystem, searchType } from "./interactions/search.ts";
import { transactionOrBatch } from "./interactions/bundle.ts";

/**
 * The REST routes below the base URL. The router and the CapabilityStatement are both built from
 * this table, so the statement cannot claim an interaction that has no handler. Routes with a
 * literal segment come before routes whose parameter would also match it.
 */
export function buildRoutes(startedAt: string): Route[] {
  const routes: Route[] = [
    { method: "GET", path: "/_history", interaction: "history-system", parameters: HISTORY_PARAMETERS, handler: historySystem },
    { method: "POST", path: "/_search", interaction: "search-system", parameters: "any", handler: searchSystem },
    { method: "GET", path: "/:type/_history", interaction: "history-type", parameters: HISTORY_PARAMETERS, handler: historyType },
    { method: "GET", path: "/:type/:id/_history", interaction: "history-instance", parameters: HISTORY_PARAMETERS, handler: historyInstance },
    { method: "GET", path: "/:type/:id/_history/:vid", interaction: "vread", parameters: [], handler: vread },
    { method: "GET", path: "/:type/:id", interaction: "read", parameters: [], handler: read },
    { method: "PUT", path: "/:type/:id", interaction: "update", parameters: [], hasBody: true, handler: update },
    { method: "DELETE", path: "/:type/:id", interaction: "delete", parameters: [], handler: remove },
    { method: "POST", path: "/:type/_search", interaction: "search-type", parameters: "any", handler: searchType },
    { method: "GET", path: "/:type", interaction: "search-type", parameters: "any", handler: searchType },
    { method: "POST", path: "/:type", interaction: "create", parameters: [], hasBody: true, handler: create },
    { method: "PUT", path: "/:type", interaction: "conditional-update", parameters: "any", hasBody: true, handler: conditionalUpdate },
    { method: "DELETE", path: "/:type", interaction: "conditional-delete", parameters: "any", handler: conditionalDelete },
    { method: "GET", path: "/", interaction: "search-system", parameters: "any", handler: searchSystem },
    { method: "POST", path: "/", interaction: "transaction", parameters: [], hasBody: true, handler: transactionOrBatch },
  ];
  routes.unshift({
    method: "GET",
    path: "/metadata",
    interaction: "capabilities",
    parameters: ["mode"],
    handler: capabilities(routes, startedAt),
  });
  return routes;
}
