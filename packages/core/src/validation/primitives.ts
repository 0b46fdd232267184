/**
 * Formats of the R4 primitive datatypes (http://hl7.org/fhir/R4/datatypes.html#primitive) and
 * their JSON representation (http://hl7.org/fhir/R4/json.html#primitive).
 *
 * The string formats use the regular expressions that the R4 StructureDefinitions publish for
 * each primitive's value, anchored and compiled once. Plain code checks what those regexes leave
 * out: empty strings, calendar days, the 32-bit integer range and base64 padding.
 */
import { quote } from "./messages.ts";

/** JSON type (`typeof` result) of a primitive datatype's value. */
export type JsonPrimitiveType = "string" | "number" | "boolean";

const YEAR = "([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)";
const MONTH = "(0[1-9]|1[0-2])";
const DAY = "(0[1-9]|[1-2][0-9]|3[0-1])";
// Seconds may be 60 for a leap second, as in the R4 regexes.
const TIME = "([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?";
const ZONE = "(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))";

const DATE_PATTERN = new RegExp(`^${YEAR}(-${MONTH}(-${DAY})?)?$`);
const DATE_TIME_PATTERN = new RegExp(`^${YEAR}(-${MONTH}(-${DAY}(T${TIME}${ZONE})?)?)?$`);
const INSTANT_PATTERN = new RegExp(`^${YEAR}-${MONTH}-${DAY}T${TIME}${ZONE}$`);
const TIME_PATTERN = new RegExp(`^${TIME}$`);
const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
// A code has no leading or trailing whitespace and no runs of whitespace inside. Here `\s` is
// JavaScript's, which also matches Unicode spaces such as U+00A0, as it does in URI_PATTERN.
const CODE_PATTERN = /^\S+(\s\S+)*$/;
const URI_PATTERN = /^\S+$/;
const OID_PATTERN = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;
const UUID_PATTERN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * R4 datatypes.html#string: strings SHALL NOT contain characters below U+0020 other than tab,
 * line feed and carriage return. Applied to every primitive sent as a JSON string.
 */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

const MIN_INTEGER = -2147483648;
const MAX_INTEGER = 2147483647;
/**
 * R4 datatypes.html: strings SHALL NOT exceed 1 MB (1024 * 1024 characters). The limit applies to
 * string and its specializations, not to base64Binary or xhtml. Length counts UTF-16 code units.
 */
const MAX_STRING_LENGTH = 1024 * 1024;

const DATE_EXPECTED = "expected YYYY, YYYY-MM or YYYY-MM-DD";
const DATE_TIME_EXPECTED =
  "expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff] with a time zone (Z or +hh:mm/-hh:mm)";
const INSTANT_EXPECTED = "expected YYYY-MM-DDThh:mm:ss[.fff] with a time zone (Z or +hh:mm/-hh:mm)";

/**
 * Returns the JSON type that represents a primitive datatype, or undefined for a type that is not primitive.
 * R4 json.html: boolean is a JSON boolean, integer, positiveInt, unsignedInt and decimal are JSON
 * numbers, and every other primitive (including xhtml) is a JSON string.
 */
export function primitiveJsonType(type: string): JsonPrimitiveType | undefined {
  switch (type) {
    case "boolean":
      return "boolean";
    case "integer":
    case "positiveInt":
    case "unsignedInt":
    case "decimal":
      return "number";
    case "string":
    case "markdown":
    case "code":
    case "id":
    case "uri":
    case "url":
    case "canonical":
    case "oid":
    case "uuid":
    case "date":
    case "dateTime":
    case "instant":
    case "time":
    case "base64Binary":
    case "xhtml":
      return "string";
    default:
      return undefined;
  }
}

/**
 * Checks a primitive value whose JSON type already matches `primitiveJsonType(type)` against the
 * format of its R4 datatype (datatypes.html#primitive).
 * Returns a sentence describing the problem, or undefined when the value is valid.
 */
export function checkPrimitiveFormat(type: string, value: string | number | boolean): string | undefined {
  if (typeof value === "boolean") return undefined;
  if (typeof value === "number") return checkNumber(type, value);
  if (value.length === 0) {
    return `Invalid ${type} "": empty strings are not allowed in FHIR JSON, so omit the element instead`;
  }
  if (value.length > MAX_STRING_LENGTH && isStringType(type)) {
    return `Invalid ${type}: ${value.length} characters is more than the R4 maximum of ${MAX_STRING_LENGTH}`;
  }
  const control = CONTROL_CHARACTER.exec(value);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, "0");
    return `Invalid ${type}: control character U+${code.toUpperCase()} at index ${control.index} (strings may contain tab, line feed and carriage return but no other character below U+0020)`;
  }
  switch (type) {
    case "date":
      if (!DATE_PATTERN.test(value)) return `Invalid date ${quote(value)}: ${DATE_EXPECTED}`;
      return checkCalendarDay(type, value);
    case "dateTime":
      if (!DATE_TIME_PATTERN.test(value)) return `Invalid dateTime ${quote(value)}: ${DATE_TIME_EXPECTED}`;
      return checkCalendarDay(type, value);
    case "instant":
      if (!INSTANT_PATTERN.test(value)) return `Invalid instant ${quote(value)}: ${INSTANT_EXPECTED}`;
      return checkCalendarDay(type, value);
    case "time":
      if (!TIME_PATTERN.test(value)) return `Invalid time ${quote(value)}: expected hh:mm:ss[.fff] without a time zone`;
      return undefined;
    case "id":
      if (!ID_PATTERN.test(value)) {
        return `Invalid id ${quote(value)}: expected 1 to 64 characters from A-Z, a-z, 0-9, "-" and "."`;
      }
      return undefined;
    case "code":
      if (!CODE_PATTERN.test(value)) {
        return `Invalid code ${quote(value)}: leading, trailing or repeated whitespace is not allowed`;
      }
      return undefined;
    case "uri":
    case "url":
    case "canonical":
      if (!URI_PATTERN.test(value)) return `Invalid ${type} ${quote(value)}: whitespace is not allowed`;
      return undefined;
    case "oid":
      if (!OID_PATTERN.test(value)) {
        return `Invalid oid ${quote(value)}: expected "urn:oid:" and a dotted number such as urn:oid:1.2.3`;
      }
      return undefined;
    case "uuid":
      if (!UUID_PATTERN.test(value)) {
        return `Invalid uuid ${quote(value)}: expected "urn:uuid:" and a UUID in lowercase hexadecimal`;
      }
      return undefined;
    case "base64Binary":
      return checkBase64(value);
    default:
      // string, markdown and xhtml allow any non-empty text.
      return undefined;
  }
}

function isStringType(type: string): boolean {
  return type === "string" || type === "markdown" || type === "code" || type === "id";
}

function checkNumber(type: string, value: number): string | undefined {
  if (!Number.isFinite(value)) return `Invalid ${type} ${String(value)}: expected a finite number`;
  if (type === "decimal") return undefined;

  if (!Number.isInteger(value)) return `Invalid ${type} ${String(value)}: expected a whole number`;
  if (value < MIN_INTEGER || value > MAX_INTEGER) {
    return `Invalid ${type} ${String(value)}: outside the 32-bit range ${MIN_INTEGER} to ${MAX_INTEGER}`;
  }
  if (type === "positiveInt" && value < 1) return `Invalid positiveInt ${String(value)}: expected 1 or more`;
  if (type === "unsignedInt" && value < 0) return `Invalid unsignedInt ${String(value)}: expected 0 or more`;
  return undefined;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digitAt(value: string, index: number): number {
  return value.charCodeAt(index) - 48;
}

/**
 * Rejects days that the calendar does not have (2021-02-29, 2020-04-31), which the R4 regexes accept.
 * Runs after the pattern matched, so positions 0-3, 5-6 and 8-9 are digits when present.
 */
function checkCalendarDay(type: string, value: string): string | undefined {
  if (value.length < 10) return undefined;
  const day = digitAt(value, 8) * 10 + digitAt(value, 9);
  if (day <= 28) return undefined;

  const year = digitAt(value, 0) * 1000 + digitAt(value, 1) * 100 + digitAt(value, 2) * 10 + digitAt(value, 3);
  const month = digitAt(value, 5) * 10 + digitAt(value, 6);
  const isLeapYear = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = month === 2 && isLeapYear ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31);
  if (day <= daysInMonth) return undefined;
  return `Invalid ${type} ${quote(value)}: day ${day} does not exist in ${value.slice(0, 7)}`;
}

function isBase64Character(code: number): boolean {
  return (
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    (code >= 48 && code <= 57) || // 0-9
    code === 43 || // +
    code === 47 // /
  );
}

function isXmlWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

/**
 * Checks base64 (RFC 4648 section 4): the characters other than whitespace must come in groups
 * of 4, and "=" padding (at most two) may only end the data. This is stricter than the R4 regex
 * about "=", which it allows anywhere, and more lenient about whitespace (space, tab, CR, LF),
 * which it allows only between groups of 4.
 */
function checkBase64(value: string): string | undefined {
  let dataLength = 0;
  let padding = 0;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (isXmlWhitespace(code)) continue;
    if (code === 61) {
      padding++;
    } else if (padding > 0 || !isBase64Character(code)) {
      return `Invalid base64Binary ${quote(value)}: unexpected character at position ${index + 1}`;
    }
    dataLength++;
  }
  if (dataLength === 0) return `Invalid base64Binary ${quote(value)}: no data, only whitespace`;
  if (padding > 2 || dataLength % 4 !== 0) {
    return `Invalid base64Binary ${quote(value)}: expected groups of 4 characters with at most two "=" at the end`;
  }
  return undefined;
}
