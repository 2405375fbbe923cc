import { z } from 'zod';

const ENTITY_REF_RE = /^[a-zA-Z]+:[a-zA-Z0-9_.-]+\/[a-zA-Z0-9_.-]+$/;
/** An entity reference query parameter, `kind:namespace/name`. @public */
export const entityRefParam = z
  .string({
    required_error: 'is required',
    invalid_type_error: 'must be a single entity ref',
  })
  .regex(
    ENTITY_REF_RE,
    'must be a full entity ref such as component:default/checkout',
  );
