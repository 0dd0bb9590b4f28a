// A minimal webpack loader: strips TypeScript types with the compiler's own transpiler.
// Type-checking is `npm run typecheck`'s job; this keeps the build free of another loader dependency.
const ts = require('typescript');

module.exports = function tsLoader(source) {
  const { outputText } = ts.transpileModule(source, {
    fileName: this.resourcePath,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
  });
  return outputText;
};
