/**
 * Node ids of exchange datasets: `ohlcv:<exchange>:<symbol>`, e.g. `ohlcv:binance:BTC/USDT` or
 * `ohlcv:binance:BTC/USDT:USDT` (a linear swap). The prefix is matched whole and the symbol is
 * everything after it, so a ccxt symbol containing `:` or `/` survives intact (the id is never
 * split on a separator).
 */
import { InvalidRequestError } from '../../core/index.js';

/** The node id prefix of `exchange`'s OHLCV datasets. */
export function exchangeNodePrefix(exchange: string): string {
  return `ohlcv:${exchange}:`;
}

/** The ccxt symbol of `nodeId`, or InvalidRequestError when the id is not one of `exchange`'s. */
export function symbolOfNode(exchange: string, nodeId: string): string {
  const prefix = exchangeNodePrefix(exchange);
  if (typeof nodeId !== 'string' || !nodeId.startsWith(prefix) || nodeId.length === prefix.length) {
    throw new InvalidRequestError('nodeId', `the ${exchange} source serves node ids "${prefix}<symbol>" (e.g. ${prefix}BTC/USDT), got ${JSON.stringify(nodeId)}`, { exchange });
  }
  return nodeId.slice(prefix.length);
}
