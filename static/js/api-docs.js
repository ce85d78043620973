// The API reference page (/api/v1/docs/): Swagger UI over the schema the page names. A static file rather than
// an inline script, so the page needs no 'unsafe-inline' in the Content-Security-Policy.
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    domNode: root,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // A token pasted into "Authorize" stays in this tab only, never in localStorage.
    persistAuthorization: false,
    deepLinking: true,
    // No badge from validator.swagger.io: it would send our schema's address elsewhere, and img-src is 'self'.
    validatorUrl: null,
  });
})();
