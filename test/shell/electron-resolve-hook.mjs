// A module-resolution hook (node:module register) that makes `import ... from
// 'electron'` in the built shell load the stand-in instead of Electron's npm
// package, whose main export is the path of a binary this machine lacks.
let standInUrl;

export function initialize(data) {
  standInUrl = data.standInUrl;
}

export async function resolve(specifier, context, nextResolve) {
  // Resolved on through the chain, so tsx's hooks (registered first) load the TypeScript.
  return nextResolve(specifier === 'electron' ? standInUrl : specifier, context);
}
