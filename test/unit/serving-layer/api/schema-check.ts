/**
 * A small checker for the JSON-schema subset the OpenAPI document uses (type, required,
 * properties, items, enum), so the contract test needs no extra dependency. Returns the problems.
 */
export function schemaProblems(schema: Record<string, unknown>, value: unknown, path = '$'): string[] {
  const problems: string[] = [];
  const types = schema.type === undefined ? [] : ([] as string[]).concat(schema.type as string | string[]);
  const actual =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'array'
        : Number.isInteger(value)
          ? 'integer'
          : typeof value;
  if (types.length > 0 && !types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
    return [`${path}: expected ${types.join('|')}, got ${actual}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    problems.push(`${path}: ${String(value)} not in enum`);
  if (actual === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (!(key in obj)) problems.push(`${path}.${key}: missing`);
    }
    const props = (schema.properties as Record<string, Record<string, unknown>> | undefined) ?? {};
    for (const [key, sub] of Object.entries(props)) {
      if (key in obj) problems.push(...schemaProblems(sub, obj[key], `${path}.${key}`));
    }
    if (schema.properties !== undefined) {
      for (const key of Object.keys(obj))
        if (!(key in props)) problems.push(`${path}.${key}: not documented`);
    }
  }
  if (actual === 'array' && schema.items !== undefined) {
    (value as unknown[]).forEach((item, i) => {
      problems.push(...schemaProblems(schema.items as Record<string, unknown>, item, `${path}[${i}]`));
    });
  }
  return problems;
}
