addEventListener('fetch', (event: FetchEvent) => {
  event.respondWith(new Response(JSON.stringify({ url: event.request.url, hdr: [...event.request.headers] }), { headers: { 'content-type': 'application/json' } }));
});
