// Starts GraphiQL on the page that `GET /graphql` serves (src/http/graphiql.rs). Everything it
// needs (React, ReactDOM, GraphiQL) was loaded from this service before it runs: nothing comes
// from another host, so the page works on networks without the internet.
(function () {
  "use strict";

  var root = document.getElementById("graphiql");

  // An endpoint resolved against the page's own address (a path prefix added by a proxy is
  // kept); a WebSocket endpoint uses ws: or wss: as the page uses http: or https:.
  function endpointUrl(path, websocket) {
    var url = new URL(path, window.location.href);
    if (websocket) {
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    }
    return url.toString();
  }

  // Cookies go to this origin only. The access token goes in GraphiQL's headers tab as
  // {"Authorization": "Bearer …"}: sent with every HTTP request, and as the WebSocket's
  // connection_init payload for subscriptions.
  function sameOriginFetch(url, options) {
    return window.fetch(url, Object.assign({}, options, { credentials: "same-origin" }));
  }

  // For tools and tests that look at the page: whether the schema (introspection) loaded,
  // which is what the docs explorer shows.
  function noteSchema(schema) {
    var queryType = schema && schema.getQueryType();
    root.setAttribute("data-schema", queryType ? "loaded" : "missing");
    root.setAttribute("data-query-type", queryType ? queryType.name : "");
  }

  var fetcher = GraphiQL.createFetcher({
    url: endpointUrl(root.getAttribute("data-endpoint"), false),
    subscriptionUrl: endpointUrl(root.getAttribute("data-subscription-endpoint"), true),
    fetch: sameOriginFetch,
  });

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      // The first query a newcomer sees, in the language of the people using it.
      defaultQuery:
        "# 牵线 Qianxian：青岛科技成果转化平台\n" +
        "# 左侧写查询，点 ▶ 运行；右上角“Docs”是全部字段的说明。\n" +
        "# 登录：mutation { login(input: { login: \"ouc.member@example.edu.cn\", password: \"Qianxian-demo-2026\" }) { accessToken } }\n" +
        "# 再在下方 Headers 中写 {\"Authorization\": \"Bearer <accessToken>\"}。\n" +
        "# 示例见 docs/guide.md。\n\n" +
        "{\n  search(query: \"太赫兹\", first: 5) {\n    totalCount\n    nodes { ... on Achievement { title owner { name } } ... on Need { title } }\n  }\n}\n",
      // The docs show deprecated arguments and the schema's description too; the introspection
      // query this asks for is the one tests/api/graphiql.rs sends.
      inputValueDeprecation: true,
      schemaDescription: true,
      onSchemaChange: noteSchema,
    })
  );
})();
