/** esbuild bundles imported stylesheets into dist/webview.css; the import has no value. */
declare module '*.css';
