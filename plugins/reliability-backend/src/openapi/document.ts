import { generateOpenApiDocument } from './generate';

let document: Record<string, unknown> | undefined;

/** The OpenAPI document GET /openapi.json serves: generated once, on the first request. */
export function openApiDocument(): Record<string, unknown> {
  document ??= generateOpenApiDocument();
  return document;
}
