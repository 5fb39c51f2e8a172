// Vite's client types declare `*.css` imports, which TypeScript otherwise rejects as unresolved side-effect imports.
/// <reference types="vite/client" />
