// The one `fermyon:spin/llm@2.0.0` function the guest calls (to trap: the runtime implements no LLM host).
declare module 'fermyon:spin/llm@2.0.0' {
  export function infer(model: string, prompt: string, params: undefined): { text: string };
}
