/**
 * Whether a text is a FHIRPath expression of the shape OperationOutcome.issue.expression carries: a
 * resource type, then `.element`, `[index]` and function calls whose arguments are string literals or
 * `name='literal'` comparisons (`extension('…')`, `where(system='…')`). The grammar of FHIRPath
 * (http://hl7.org/fhirpath/N1/grammar.html) restricted to paths; `patient:identifier` or `_count`
 * (search parameters) are not expressions.
 */
const NAME = '[A-Za-z][A-Za-z0-9_]*';
const STRING = "'(?:[^'\\\\]|\\\\.)*'";
const ARGUMENT = `(?:${STRING}|${NAME}\\s*=\\s*${STRING})`;
const STEP = `(?:\\.${NAME}(?:\\((?:${ARGUMENT}(?:\\s*,\\s*${ARGUMENT})*)?\\))?|\\[\\d+\\])`;
const PATH = new RegExp(`^[A-Z][A-Za-z]*${STEP}*$`);

export const isFhirPath = (text: string): boolean => PATH.test(text);
