import { z } from 'zod';
import {
  AuthService,
  BackstageCredentials,
  BackstageUserPrincipal,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { AuthenticationError, InputError } from '@backstage/errors';
import { reliabilitySloReadPermission } from '@reliability-suite/plugin-reliability-common';
import type { Guards } from '../http/guards';

/** What an input that failed its schema becomes before the handler sees it (see `lenient`). */
const INVALID = Symbol('invalid input');

/**
 * The input schema as the registry is given it. The Actions Registry answers a parse failure with `Invalid input to
 * action "<id>"` and nothing more (the field is lost on its way to an MCP client), so the registry's parse never
 * fails: a failure becomes a marker holding the raw input, and the handler parses it again with the schema and
 * answers `Invalid input: <field>: <rule>`. The JSON Schema the agents see is the schema's own (a catch adds
 * nothing to it).
 */
function lenient<T extends z.AnyZodObject>(schema: T): T {
  return schema.catch((ctx: { input: unknown }) => ({
    [INVALID]: ctx.input,
  })) as unknown as T;
}

/** What every handler is given: the caller's credentials, the input (parsed: bad input names the field) and the log. */
export interface ActionCall<I> {
  input: I;
  credentials: BackstageCredentials;
  logger: LoggerService;
}

/** One of the suite's actions, as registered: its schemas come from -common. */
export interface ReliabilityActionDefinition<
  I extends z.AnyZodObject,
  O extends z.AnyZodObject,
> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  attributes: { readOnly: boolean; destructive: boolean; idempotent: boolean };
  action(call: ActionCall<z.infer<I>>): Promise<z.infer<O>>;
}

/** An action definition, typed by its schemas. */
export function defineAction<
  I extends z.AnyZodObject,
  O extends z.AnyZodObject,
>(d: ReliabilityActionDefinition<I, O>): ReliabilityActionDefinition<I, O> {
  return d;
}

/** Registers the definitions with the Actions Registry (visible to callers who may read the suite). */
export function registerActions(
  registry: ActionsRegistryService,
  definitions: ReliabilityActionDefinition<any, any>[],
  guards: Pick<Guards, 'parse'>,
) {
  for (const d of definitions) {
    registry.register({
      name: d.name,
      title: d.title,
      description: d.description,
      attributes: d.attributes,
      visibilityPermission: reliabilitySloReadPermission,
      schema: {
        input: () => lenient(d.input),
        output: () => d.output,
      },
      action: async ({ input, credentials, logger }) => {
        const raw =
          input && typeof input === 'object' && INVALID in input
            ? (input as Record<typeof INVALID, unknown>)[INVALID]
            : input;
        const parsed = guards.parse(d.input, raw, 'input');
        return {
          output: await d.action({ input: parsed, credentials, logger }),
        };
      },
    });
  }
}

/**
 * The REST guards for a caller given by credentials (an action has no request): reading the suite needs
 * reliability.slo.read as `canRead` asks it, and the routes that take users only take users only here too.
 */
export function callerGuards(guards: Guards, auth: AuthService) {
  return {
    async canRead(credentials: BackstageCredentials) {
      await guards.authorize(credentials, reliabilitySloReadPermission);
      return credentials;
    },
    user(
      credentials: BackstageCredentials,
    ): BackstageCredentials<BackstageUserPrincipal> {
      if (!auth.isPrincipal(credentials, 'user'))
        throw new AuthenticationError(
          'This action is for signed-in users only (as its REST route)',
        );
      return credentials;
    },
  };
}
export type CallerGuards = ReturnType<typeof callerGuards>;

/** Throws an InputError naming the field, as a schema would. */
export function invalid(field: string, rule: string): never {
  throw new InputError(`Invalid input: ${field}: ${rule}`);
}
