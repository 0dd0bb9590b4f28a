// A minimal webpack loader: strips TypeScript types with the compiler's own transpiler.
// Type-checking is `npm run typecheck`'s job; this keeps the build free of another loader dependency.
// When webpack asks for source maps (build.mjs's component bundles), it passes the transpiler's map on, so
// the bundle's map leads back to the .ts lines rather than to the type-stripped JavaScript.
const ts = require('typescript');

module.exports = function tsLoader(source) {
  const { outputText, sourceMapText } = ts.transpileModule(source, {
    fileName: this.resourcePath,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: true,
      sourceMap: Boolean(this.sourceMap),
    },
  });
  if (!sourceMapText) return outputText;
  const map = JSON.parse(sourceMapText);
  // The transpiler names the file by its base name; webpack matches the map to the module by its full path.
  map.sources = [this.resourcePath];
  map.sourceRoot = '';
  this.callback(null, outputText.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n'), map);
  return undefined;
};
