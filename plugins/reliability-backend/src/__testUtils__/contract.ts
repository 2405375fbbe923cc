import Ajv2020 from 'ajv/dist/2020';

/** A JSON pointer's segment as a URI fragment writes it (`/slos/{name}` -> `~1slos~1%7Bname%7D`). */
const segment = (s: string) =>
  encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'));

/** What `validate` finds wrong with an answer: each problem as `<where> <message>`; empty when it conforms. */
export type Problems = string[];

/**
 * The OpenAPI document's schemas, compiled with Ajv2020 (OpenAPI 3.1 is JSON Schema 2020-12): whether an answer
 * (status, content type, body) or a part of a request conforms to what the document says of its operation.
 */
export function contractValidator(document: Record<string, unknown>) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  ajv.addFormat('uri', (s: string) => {
    try {
      return Boolean(new URL(s));
    } catch {
      return false;
    }
  });
  ajv.addSchema(document, 'openapi.json');
  const paths = document.paths as Record<string, Record<string, any>>;

  const check = (pointer: string[], value: unknown): Problems => {
    const validate = ajv.compile({
      $ref: `openapi.json#/${pointer.map(segment).join('/')}`,
    });
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      e => `${e.instancePath || '(body)'} ${e.message}`,
    );
  };

  return {
    /** Compiles every schema the document holds (each `schema` of a parameter, body or answer); their number. */
    compileAll(): number {
      let n = 0;
      const visit = (node: unknown, pointer: string[]): void => {
        if (!node || typeof node !== 'object') return;
        for (const [key, value] of Object.entries(node)) {
          if (key === 'schema' && value && typeof value === 'object') {
            ajv.compile({
              $ref: `openapi.json#/${[...pointer, key].map(segment).join('/')}`,
            });
            n++;
          } else visit(value, [...pointer, key]);
        }
      };
      visit(document, []);
      return n;
    },
    /** The operation of `method` on the OpenAPI path (`/slos/{namespace}/{name}`), or undefined. */
    operation: (method: string, path: string) => paths[path]?.[method],
    /** Whether an answer is one the document gives for the operation: its status, its type and its body. */
    response(
      method: string,
      path: string,
      status: number,
      contentType: string | undefined,
      body: unknown,
    ): Problems {
      const op = paths[path]?.[method];
      if (!op) return [`no operation ${method} ${path}`];
      let res = op.responses[String(status)];
      if (!res) return [`status ${status} is not documented`];
      let pointer = ['paths', path, method, 'responses', String(status)];
      if (res.$ref) {
        const name = String(res.$ref).split('/').pop()!;
        res = (document.components as any).responses[name];
        pointer = ['components', 'responses', name];
      }
      if (!res.content)
        return body === undefined ||
          body === '' ||
          (typeof body === 'object' && body && Object.keys(body).length === 0)
          ? []
          : ['a body where the document gives none'];
      const type = (contentType ?? '').split(';')[0].trim();
      if (!res.content[type])
        return [
          `content type ${type} is not documented for ${status} (${Object.keys(
            res.content,
          ).join(', ')})`,
        ];
      return check([...pointer, 'content', type, 'schema'], body);
    },
    /** Whether a value conforms to a parameter's schema (`in` path or query) of the operation. */
    parameter(
      method: string,
      path: string,
      where: 'path' | 'query',
      name: string,
      value: unknown,
    ): Problems {
      const op = paths[path]?.[method];
      const i = (op?.parameters ?? []).findIndex(
        (p: any) => p.in === where && p.name === name,
      );
      if (i < 0) return [`no ${where} parameter ${name}`];
      return check(
        ['paths', path, method, 'parameters', String(i), 'schema'],
        value,
      );
    },
    /** Whether a JSON body conforms to the operation's request body schema. */
    body(method: string, path: string, value: unknown): Problems {
      const op = paths[path]?.[method];
      const type = Object.keys(op?.requestBody?.content ?? {})[0];
      if (!type) return [`${method} ${path} takes no body`];
      return check(
        ['paths', path, method, 'requestBody', 'content', type, 'schema'],
        value,
      );
    },
  };
}
