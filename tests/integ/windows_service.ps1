# The demo app on Windows, for the optional integration test (tests/integ/integ_windows_hooked_patch.py):
# GET /health answers 200 "ok" on 127.0.0.1:<Port>, anything else 404. A TCP listener the app owns, on IPv4
# loopback only, one request per connection: the port closes when the app ends, as the stop hook checks.
param([int]$Port = 8080)
$ErrorActionPreference = 'Stop'
$listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $Port)
$listener.Start()
while ($true) {
    $client = $listener.AcceptTcpClient()
    try {
        # A client that connects and sends nothing (a port check) holds the app for 2 s at most.
        $client.ReceiveTimeout = 2000
        $stream = $client.GetStream()
        $reader = [System.IO.StreamReader]::new($stream, [System.Text.Encoding]::ASCII, $false, 1024, $true)
        $requestLine = $reader.ReadLine()
        while ($reader.ReadLine()) { }  # the headers, up to the blank line
        if ($requestLine -match '^GET /health ') { $status = '200 OK'; $body = 'ok' } else { $status = '404 Not Found'; $body = 'not found' }
        $response = "HTTP/1.1 $status`r`nContent-Type: text/plain`r`nContent-Length: $($body.Length)`r`nConnection: close`r`n`r`n$body"
        $bytes = [System.Text.Encoding]::ASCII.GetBytes($response)
        $stream.Write($bytes, 0, $bytes.Length)
    } catch {
        # The client went away or sent nothing in time: serve the next one.
    } finally {
        $client.Close()
    }
}
