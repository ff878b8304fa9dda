import { randomBytes } from 'node:crypto'
import type { BackendSpec } from './resolve.js'

/** Creates, deletes and checks queues: `ServiceBusAdministrationClient`'s shape, or an emulator's. */
export interface ServiceBusAdmin {
  createQueue(name: string, options?: Record<string, unknown>): Promise<unknown>
  deleteQueue(name: string): Promise<unknown>
  queueExists(name: string): Promise<boolean>
}

/**
 * What a Service Bus driver needs to reach a backend. Pass the fields on to
 * `createServiceBusDriver({ connectionString, adminConnectionString, admin })`.
 */
export interface ServiceBusConnection {
  /** For `ServiceBusClient`: a namespace's, or an emulator's (`…;UseDevelopmentEmulator=true`). */
  connectionString: string
  /**
   * Where `ServiceBusAdministrationClient` reaches the namespace, when not `connectionString`:
   * Microsoft's emulator serves it on its own port.
   */
  adminConnectionString?: string
  /** Queue management in this process (`@anyqueue/servicebus-emulator`), instead of the REST API. */
  admin?: ServiceBusAdmin
}

/** Microsoft's emulator, and the SQL Server it stores its entities in. */
export const SERVICEBUS_EMULATOR_IMAGE = 'mcr.microsoft.com/azure-messaging/servicebus-emulator:latest'
export const MSSQL_IMAGE = 'mcr.microsoft.com/mssql/server:2022-latest'

/** The namespace Microsoft's emulator serves; entities come from the administration client. */
const MS_CONFIG = JSON.stringify({
  UserConfig: {
    Namespaces: [{ Name: 'sbemulatorns', Queues: [], Topics: [] }],
    Logging: { Type: 'File' },
  },
})

const emulatorConnectionString = (host: string, port: number) =>
  `Endpoint=sb://${host}:${port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`

/**
 * Resolves a Service Bus backend: `SERVICEBUS_CONNECTION_STRING` (with
 * `SERVICEBUS_ADMIN_CONNECTION_STRING` when management lives elsewhere) → Microsoft's emulator and
 * SQL Server via testcontainers → `@anyqueue/servicebus-emulator` started in this process on a
 * free loopback port.
 */
export const servicebusBackend: BackendSpec<ServiceBusConnection> = {
  name: 'servicebus',
  fromEnv(env) {
    const connectionString = env.SERVICEBUS_CONNECTION_STRING
    if (!connectionString) return undefined
    const endpoint = /Endpoint=([^;]+)/i.exec(connectionString)?.[1] ?? 'the namespace'
    return {
      source: 'env',
      description: `${endpoint} (SERVICEBUS_CONNECTION_STRING)`,
      connection: {
        connectionString,
        adminConnectionString: env.SERVICEBUS_ADMIN_CONNECTION_STRING || undefined,
      },
      stop: async () => {},
    }
  },
  async container() {
    // Microsoft's emulator needs SQL Server beside it on one network. (`@testcontainers/azureservicebus`
    // does this too, but only for testcontainers 12, which needs Node 22.)
    const { GenericContainer, Network, Wait } = (await import(
      'testcontainers'
    )) as typeof import('testcontainers')
    const password = `Aq1!${randomBytes(12).toString('hex')}`
    const network = await new Network().start()
    const sql = await new GenericContainer(MSSQL_IMAGE)
      .withNetwork(network)
      .withNetworkAliases('sqledge')
      .withEnvironment({ ACCEPT_EULA: 'Y', MSSQL_SA_PASSWORD: password })
      .withWaitStrategy(Wait.forLogMessage(/SQL Server is now ready for client connections/))
      .withStartupTimeout(180_000)
      .start()
    try {
      const emulator = await new GenericContainer(SERVICEBUS_EMULATOR_IMAGE)
        .withNetwork(network)
        .withEnvironment({
          ACCEPT_EULA: 'Y',
          SQL_SERVER: 'sqledge',
          MSSQL_SA_PASSWORD: password,
          SQL_WAIT_INTERVAL: '0',
        })
        .withCopyContentToContainer([
          { content: MS_CONFIG, target: '/ServiceBus_Emulator/ConfigFiles/Config.json' },
        ])
        .withExposedPorts(5672, 5300)
        .withWaitStrategy(Wait.forLogMessage(/Emulator Service is Successfully Up/))
        .withStartupTimeout(180_000)
        .start()
      const host = emulator.getHost()
      return {
        source: 'container',
        description: `Microsoft's Service Bus emulator (${SERVICEBUS_EMULATOR_IMAGE}) at ${host}:${emulator.getMappedPort(5672)}`,
        connection: {
          connectionString: emulatorConnectionString(host, emulator.getMappedPort(5672)),
          adminConnectionString: emulatorConnectionString(host, emulator.getMappedPort(5300)),
        },
        stop: async () => {
          await emulator.stop()
          await sql.stop()
          await network.stop()
        },
      }
    } catch (error) {
      await sql.stop().catch(() => {})
      await network.stop().catch(() => {})
      throw error
    }
  },
  async local() {
    let module: typeof import('@anyqueue/servicebus-emulator')
    try {
      module = await import('@anyqueue/servicebus-emulator')
    } catch {
      throw new Error('@anyqueue/servicebus-emulator is not installed')
    }
    const emulator = await module.startEmulator({ port: 0 })
    return {
      source: 'local',
      description: `@anyqueue/servicebus-emulator on ${emulator.host}:${emulator.port}, in this process`,
      connection: { connectionString: emulator.connectionString, admin: emulator.admin },
      stop: () => emulator.close(),
    }
  },
}
