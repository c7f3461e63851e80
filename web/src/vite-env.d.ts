/** Vite's module types: a side-effect `import './style.css'` is bundled as the page's stylesheet. */
declare module '*.css';
