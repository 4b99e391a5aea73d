/** C0 and C1 control characters: a node's word printed as it is could break a line or move the cursor. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is matched
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
