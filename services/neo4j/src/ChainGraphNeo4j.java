/*
 * Runs Neo4j Community 5.26 embedded, with the Bolt connector on 127.0.0.1, for chain-graph's
 * development and tests (no Docker engine needed: only Java 17 and Maven Central jars).
 *
 * Usage: java ... ChainGraphNeo4j HOME_DIR BOLT_PORT CONF_FILE
 * Environment: NEO4J_PASSWORD (optional) turns authentication on with user neo4j and that password.
 * Prints one line "chain-graph-neo4j ready bolt://127.0.0.1:PORT" once Bolt accepts connections,
 * and shuts the DBMS down cleanly on SIGTERM.
 */
import java.nio.file.Path;
import java.util.Map;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public final class ChainGraphNeo4j {
    private ChainGraphNeo4j() {}

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: ChainGraphNeo4j HOME_DIR BOLT_PORT CONF_FILE");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        Path conf = Path.of(args[2]).toAbsolutePath();
        String password = System.getenv("NEO4J_PASSWORD");
        boolean auth = password != null && !password.isEmpty();

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .loadPropertiesFromFile(conf)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown, "chain-graph-neo4j-shutdown"));

        if (auth) {
            // Embedded transactions run with full rights: set (or reset) the neo4j user's password
            // so that drivers can log in without the first-login password change.
            try {
                dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                        Map.of("password", password));
            } catch (RuntimeException e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                String message = String.valueOf(root.getMessage()) + " " + e.getMessage();
                if (message.contains("Old password and new password cannot be the same")) {
                    // A restart on the same data with the same password: nothing to change.
                    ready(port);
                    return;
                }
                System.err.println("chain-graph-neo4j: cannot set NEO4J_PASSWORD: " + root.getMessage());
                System.exit(1);  // the shutdown hook stops the DBMS
            }
        }
        ready(port);
    }

    private static void ready(int port) {
        System.out.println("chain-graph-neo4j ready bolt://127.0.0.1:" + port);
        System.out.flush();
    }
}
