import type { z } from 'zod';
import { ValidationError, type FieldIssue } from '@vectort/shared';

function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    // Name each unknown field itself, so `{"plan": "pro"}` on register points at `plan`.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...at, key].join('.'), message: 'unknown field' }));
    }
    return [{ field: at.length ? at.join('.') : '(root)', message: issue.message }];
  });
}

/**
 * Parses `input` with `schema` or throws a 400 `validation_error` listing every failing field.
 * `where` names the part of the request (body, query) in the message.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: 'body' | 'query' | 'path' | 'header',
): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw new ValidationError(`Invalid request ${where}`, issuesOf(result.error));
  return result.data;
}
