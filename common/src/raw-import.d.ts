// `import text from './file.sql?raw'`: the file's text, bundled by webpack (asset/source) and by Vite in tests.
declare module '*?raw' {
  const text: string;
  export default text;
}
