// Starts AWS's DynamoDB Local bound to one address (127.0.0.1 by default).
//
// DynamoDBLocal.jar has no option for the listen address: its Jetty server binds every
// interface. This launcher builds the server exactly as the jar's own ServerRunner does (same
// command-line options) and sets the host on its connector before starting it, so the local
// stack never listens beyond loopback. Run as a single-file program (no build step):
//   java -cp "DynamoDBLocal.jar:DynamoDBLocal_lib/*" LoopbackDynamoDBLocal.java -inMemory ...
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class LoopbackDynamoDBLocal {
    public static void main(String[] args) throws Exception {
        String host = System.getProperty("autopilot.bind", "127.0.0.1");
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        int bound = 0;
        for (Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector serverConnector) {
                serverConnector.setHost(host);
                bound++;
            }
        }
        if (bound == 0) {
            throw new IllegalStateException("DynamoDB Local exposes no ServerConnector to bind to " + host);
        }
        proxy.start();
        System.out.println("DynamoDB Local listening on " + host);
        proxy.join();
    }
}
