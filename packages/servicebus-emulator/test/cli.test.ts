import { spawn } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ServiceBusClient } from '@azure/service-bus'
import { expect, it } from 'vitest'

// The bin as users run it (it loads dist/, which `turbo test` builds first). Each test starts
// processes one after another: on a busy machine each start takes seconds, hence the long limits.
const BIN = fileURLToPath(new URL('../bin/servicebus-emulator.js', import.meta.url))

function run(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => {
    stdout += d
  })
  child.stderr.on('data', (d) => {
    stderr += d
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const line = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = stdout.match(pattern)
        if (match) resolve(match)
      }
      child.stdout.on('data', check)
      exited.then(() => reject(new Error(`exited before ${pattern}: ${stderr}`)))
    })
  return { child, exited, line, output: () => ({ stdout, stderr }) }
}

it('servicebus-emulator --config Config.json --port 0 serves the SDK and stops on SIGTERM', {
  timeout: 180_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sbemu-cli-'))
  const config = join(dir, 'Config.json')
  await writeFile(
    config,
    `// As Microsoft's emulator reads it, comments and all.
{
  "UserConfig": {
    "Namespaces": [{
      "Name": "sbemulatorns",
      "Queues": [{ "Name": "from-cli", "Properties": { "LockDuration": "PT30S", "MaxDeliveryCount": 3 } }]
    }],
    "Logging": { "Type": "File" }
  }
}`,
  )
  const emulator = run(['--config', config, '--port', '0'])
  const [, connectionString] = await emulator.line(/connection string: (\S+)/)
  expect(emulator.output().stdout).toMatch(/entities: from-cli/)
  const client = new ServiceBusClient(connectionString!)
  try {
    await client.createSender('from-cli').sendMessages({ body: 'hello' })
    const receiver = client.createReceiver('from-cli', { maxAutoLockRenewalDurationInMs: 0 })
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5_000 })
    expect(message?.body).toBe('hello')
    await receiver.completeMessage(message!)
  } finally {
    await client.close()
  }
  emulator.child.kill('SIGTERM')
  expect(await emulator.exited).toBe(0)
})

it('bad flags and bad configuration exit 2 with a message that names them', {
  timeout: 180_000,
}, async () => {
  const port = run(['--port', '70000'])
  expect(await port.exited).toBe(2)
  expect(port.output().stderr).toMatch(/--port must be an integer from 0 to 65535, got "70000"/)

  const dir = await mkdtemp(join(tmpdir(), 'sbemu-cli-'))
  const config = join(dir, 'Config.json')
  await writeFile(
    config,
    JSON.stringify({
      UserConfig: {
        Namespaces: [{ Name: 'ns', Queues: [{ Name: 'q', Properties: { LockDuration: 'PT1S' } }] }],
      },
    }),
  )
  const bad = run(['--config', config, '--port', '0'])
  expect(await bad.exited).toBe(2)
  expect(bad.output().stderr).toContain(`${config} $.UserConfig.Namespaces[0].Queues[0].Properties`)
  expect(bad.output().stderr).toMatch(/LockDuration must be between PT5S and PT5M/)

  const missing = run(['--config', join(dir, 'nope.json')])
  expect(await missing.exited).toBe(2)
  expect(missing.output().stderr).toMatch(/cannot read --config .*nope\.json/)
})

it('--tls prints the certificate and an AMQPS connection string; --allow-any-key says so', {
  timeout: 180_000,
}, async () => {
  const emulator = run(['--port', '0', '--tls', '--tls-port', '0', '--allow-any-key', '--admin-port', '0'])
  const [, amqps] = await emulator.line(/amqps connection string: (\S+)/)
  const { stdout } = emulator.output()
  expect(amqps).toMatch(
    /^Endpoint=sb:\/\/localhost:\d+;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE$/,
  )
  expect(stdout).toMatch(/certificate: \S+cert\.pem/)
  expect(stdout).toMatch(/management api on 127\.0\.0\.1:\d+: Endpoint=sb:\/\/localhost:\d+;/)
  expect(stdout).toMatch(/credentials: any key is accepted \(--allow-any-key\)/)
  emulator.child.kill('SIGTERM')
  expect(await emulator.exited).toBe(0)
})
