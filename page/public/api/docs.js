// Renders the Worker's OpenAPI document with Swagger UI (swagger-ui-dist, copied into ./vendor by
// `npm run build:page`: served from this origin, no CDN). No validator badge: it would call out.
SwaggerUIBundle({ url: '/openapi.json', dom_id: '#api', deepLinking: true, validatorUrl: null });
