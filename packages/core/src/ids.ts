/** Logical id syntax (R4 datatypes.html#id): 1 to 64 of `A-Z a-z 0-9 - .`. */
const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** Creates a server-assigned logical id: a random UUID, which is a valid FHIR id. */
export function newId(): string {
  return crypto.randomUUID();
}
