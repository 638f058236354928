import { apiRoutes, errorBody } from '@berth/contract';
import { z } from 'zod';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' });

/** Generated from the contract's route table, so the document cannot drift from the code. */
export function buildOpenApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorResponse = {
    description: 'Error',
    content: { 'application/json': { schema: jsonSchema(errorBody, 'output') } },
  };
  for (const route of apiRoutes) {
    const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
      description:
        m[1] === 'repository' ? 'repository name, percent-encoded (it may contain "/")' : undefined,
    }));
    const query = route.query
      ? (jsonSchema(route.query, 'input') as {
          properties?: Record<string, unknown>;
          required?: string[];
        })
      : null;
    const queryParams = Object.entries(query?.properties ?? {}).map(([name, schema]) => ({
      name,
      in: 'query',
      required: query?.required?.includes(name) ?? false,
      schema,
    }));
    (paths[route.path] ??= {})[route.method] = {
      summary: route.summary,
      parameters: [...params, ...queryParams],
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [route.status]: {
          description: 'OK',
          ...(route.response
            ? { content: { 'application/json': { schema: jsonSchema(route.response, 'output') } } }
            : {}),
        },
        ...(route.accepted
          ? {
              202: {
                description:
                  'Accepted: the work goes on as an operation (Location: /api/v1/operations/{id})',
                content: {
                  'application/json': { schema: jsonSchema(route.accepted, 'output') },
                },
              },
            }
          : {}),
        400: errorResponse,
        404: errorResponse,
        409: errorResponse,
      },
    };
  }
  return { openapi: '3.0.3', info: { title: 'Berth console API', version }, paths };
}
