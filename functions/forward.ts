import { errorBody } from './http/errors.ts';
import { API_SECURITY_HEADERS } from './http/security.ts';

/** Seconds a client is asked to wait when the API Worker could not be reached. */
const RETRY_AFTER_SECONDS = 5;

/** What a service binding offers to forward a request. */
interface Service {
  fetch(request: Request): Promise<Response>;
}

/**
 * Hands a request, as it came, to the Worker behind a service binding (the main Worker's routes
 * other than its own: index.ts) and answers with its answer. When that Worker cannot be reached (not
 * bound, or the call fails before it answers), a 503 `api_unavailable` in the API's error shape,
 * with Retry-After, rather than the runtime's bare 500.
 *
 * @example
 * const res = await forward(request, env.API);
 */
export async function forward(request: Request, service: Service | undefined): Promise<Response> {
  if (service) {
    try {
      return await service.fetch(request);
    } catch (e) {
      console.error('the API Worker did not answer', e);
    }
  }
  return Response.json(errorBody('api_unavailable', 'the API Worker did not answer; try again later'), {
    status: 503,
    headers: { ...API_SECURITY_HEADERS, 'Retry-After': String(RETRY_AFTER_SECONDS) },
  });
}
